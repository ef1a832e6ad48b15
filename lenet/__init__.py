"""lenet-studio's engine: LeNet-5 variants on MNIST (config, data, model, train, evaluate, store).

Importing the package is cheap: TensorFlow is imported only by the modules that train or build.
"""

import os

# TensorFlow turns its oneDNN kernels on by default only on CPUs with AVX-512 VNNI/BF16 or AMX;
# elsewhere (AVX2 machines such as AMD EPYC Milan) it falls back to Eigen, whose convolution
# gradients made LeNet training about 2.7x slower (benchmarks/bench_train.py). The variable is
# read when TensorFlow is first imported, so it is set here, before any lenet module imports
# it; an explicit TF_ENABLE_ONEDNN_OPTS=0 from the user still wins.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
