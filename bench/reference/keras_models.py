# Runs in the bench's Keras reference: the Keras twins of Tributary's built-ins mnist-cnn, resnet and mobilenetv2.
"""Each model is built as Tributary builds its built-in of that name (main/engine/builtin-models.ts), so the parameter
counts must agree; the bench checks they do before it times anything."""
import keras
from keras import layers


def mnist_cnn(input_shape, classes):
    """Keras's mnist_convnet example: 34,826 parameters on 28x28x1 with 10 classes."""
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, 3, activation='relu'),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation='relu'),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(classes, activation='softmax'),
        ],
        name='mnist_cnn',
    )


def _conv_bn(x, filters, kernel, stride, name, bn_name):
    x = layers.Conv2D(filters, kernel, strides=stride, padding='same', use_bias=False, name=name)(x)
    return layers.BatchNormalization(momentum=0.99, epsilon=1e-3, name=bn_name)(x)


def resnet(input_shape, classes, depth=1, width=32):
    """The resnet built-in: stem conv, 3 stages of `depth` basic blocks (width, 2x, 4x filters), GAP, dense softmax."""
    inputs = keras.Input(shape=input_shape)
    x = _conv_bn(inputs, width, 3, 1, 'conv1', 'conv1_bn')
    x = layers.Activation('relu', name='conv1_relu')(x)
    channels = width
    for stage in (1, 2, 3):
        filters = width * 2 ** (stage - 1)
        for block in range(1, depth + 1):
            stride = 2 if stage > 1 and block == 1 else 1
            name = f'stage{stage}_block{block}'
            y = _conv_bn(x, filters, 3, stride, f'{name}_conv1', f'{name}_bn1')
            y = layers.Activation('relu', name=f'{name}_relu1')(y)
            y = _conv_bn(y, filters, 3, 1, f'{name}_conv2', f'{name}_bn2')
            shortcut = x
            if stride != 1 or channels != filters:
                shortcut = _conv_bn(x, filters, 1, stride, f'{name}_shortcut', f'{name}_shortcut_bn')
            x = layers.Add(name=f'{name}_add')([shortcut, y])
            x = layers.Activation('relu', name=f'{name}_out')(x)
            channels = filters
    x = layers.GlobalAveragePooling2D(name='avg_pool')(x)
    outputs = layers.Dense(classes, activation='softmax', name='predictions')(x)
    return keras.Model(inputs, outputs, name='resnet')


def mobilenetv2(input_shape, classes, alpha=1.0):
    """Keras's own application, untrained: the architecture Tributary's mobilenetv2 reproduces layer for layer."""
    return keras.applications.MobileNetV2(
        input_shape=input_shape, alpha=alpha, include_top=True, weights=None, classes=classes, classifier_activation='softmax'
    )


MODELS = {'mnist-cnn': mnist_cnn, 'resnet': resnet, 'mobilenetv2': mobilenetv2}
