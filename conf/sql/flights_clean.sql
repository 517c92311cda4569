-- Silver: flights that operated (departed and arrived), with the airline's name.
SELECT f.year, f.month, f.day, f.dep_time, f.sched_dep_time, f.dep_delay, f.arr_time,
       f.sched_arr_time, f.arr_delay, f.carrier, a.name AS airline, f.flight, f.tailnum,
       f.origin, f.dest, f.air_time, f.distance, f.hour, f.minute, f.time_hour
FROM flights f
LEFT JOIN airlines a ON f.carrier = a.carrier
WHERE f.dep_time IS NOT NULL AND f.arr_delay IS NOT NULL
