"""The benchmarks: run each as a module from the repository root, e.g.
``python -m benchmarks.bench_predict``, so that ``lenet`` and ``devkit`` import without path
edits."""
