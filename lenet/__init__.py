"""lenet-studio's engine: LeNet-5 variants on MNIST (config, data, model, train, evaluate, store).

Importing the package is cheap: TensorFlow is imported only by the modules that train or build.
"""
