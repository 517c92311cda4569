-- Gold: one row per operated flight with weather at departure and plane facts, and the label
-- a delay model learns (arrival more than 15 minutes late).
SELECT c.time_hour, c.month, c.day, c.hour, c.origin, c.dest, c.carrier, c.distance,
       d.lat AS dest_lat, d.lon AS dest_lon,
       w.temp, w.humid, w.wind_speed, w.precip, w.visib,
       p.year AS plane_year, p.seats,
       CAST(c.arr_delay > 15 AS INT) AS delayed
FROM flights c
LEFT JOIN weather w ON c.origin = w.origin AND c.time_hour = w.time_hour
LEFT JOIN planes p ON c.tailnum = p.tailnum
LEFT JOIN airports d ON c.dest = d.faa
