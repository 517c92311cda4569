"""The catalog site: pages for the lake, each dataset, version, comparison and refused publish.

Owns gathering what a page shows from the registry and the tables' logs (``lake``, no Spark:
a site builds and serves without a JVM), rendering pages (``pages``, Jinja2 templates and
client-side Plotly charts from data embedded in each page), writing a static self-contained
site (``build``) and serving the same pages from the live registry (``serve``). May import the
observe room, the registry, the table layer, configuration and the bottom modules; knows
nothing of pipelines or the CLI.
"""

from lakeshelf.site.build import SiteBuild, build_site
from lakeshelf.site.serve import make_server

__all__ = ["SiteBuild", "build_site", "make_server"]
