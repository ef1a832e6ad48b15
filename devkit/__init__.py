"""Development helpers shared by the tests and the benchmarks; not part of the installed package.

- ``devkit.browser_util``: serve the app with ``streamlit run`` on 127.0.0.1 and drive it with
  Debian's Chromium through Playwright.
- ``devkit.pg_cluster``: a throwaway PostgreSQL cluster for the shared-sweep tests.
- ``devkit.drawn``: synthetic mouse-drawn digits for the drawing benchmarks and their tests.

Import them from the repository root (``python -m pytest``, ``python -m benchmarks.bench_load``),
which puts the root on ``sys.path``.
"""
