"""torchvision's names for its published ImageNet weights (``ResNet18_Weights`` ...), so scripts that name them import.

ember cannot download them (see ``WeightsEnum``); the URLs say which file to fetch by hand.
"""

from ._weights import Weights, WeightsEnum, register_weights

_HUB = "https://download.pytorch.org/models/"


def _enum(arch: str, cls_name: str, files: dict[str, Weights], default: str):
    members = {name: w for name, w in files.items()}
    members["DEFAULT"] = files[default]  # an alias: the same value gives the same member
    return register_weights(arch, WeightsEnum(cls_name, members))


def _v1(arch: str, cls_name: str, file: str, *preprocessing):
    """One published set, ``IMAGENET1K_V1`` (the default); ``preprocessing``: crop, resize, interpolation."""
    return _enum(arch, cls_name, {"IMAGENET1K_V1": Weights(_HUB + file, *preprocessing)}, "IMAGENET1K_V1")


def _v1_v2(arch: str, cls_name: str, file_v1: str, file_v2: str):
    """The original set and torchvision's retrained ``IMAGENET1K_V2`` (the default; resized to 232, cropped to 224)."""
    files = {"IMAGENET1K_V1": Weights(_HUB + file_v1), "IMAGENET1K_V2": Weights(_HUB + file_v2, 224, 232)}
    return _enum(arch, cls_name, files, "IMAGENET1K_V2")


ResNet18_Weights = _v1("resnet18", "ResNet18_Weights", "resnet18-f37072fd.pth")
ResNet34_Weights = _v1("resnet34", "ResNet34_Weights", "resnet34-b627a593.pth")
ResNet50_Weights = _v1_v2("resnet50", "ResNet50_Weights", "resnet50-0676ba61.pth", "resnet50-11ad3fa6.pth")
VGG11_Weights = _v1("vgg11", "VGG11_Weights", "vgg11-8a719046.pth")
VGG11_BN_Weights = _v1("vgg11_bn", "VGG11_BN_Weights", "vgg11_bn-6002323d.pth")
VGG16_Weights = _v1("vgg16", "VGG16_Weights", "vgg16-397923af.pth")
VGG16_BN_Weights = _v1("vgg16_bn", "VGG16_BN_Weights", "vgg16_bn-6c64b313.pth")
AlexNet_Weights = _v1("alexnet", "AlexNet_Weights", "alexnet-owt-7be5be79.pth")
MobileNet_V2_Weights = _v1_v2("mobilenet_v2", "MobileNet_V2_Weights", "mobilenet_v2-b0353104.pth",
                              "mobilenet_v2-7ebf99e0.pth")
MobileNet_V3_Large_Weights = _v1_v2("mobilenet_v3_large", "MobileNet_V3_Large_Weights",
                                    "mobilenet_v3_large-8738ca79.pth", "mobilenet_v3_large-5c1a4163.pth")
MobileNet_V3_Small_Weights = _v1("mobilenet_v3_small", "MobileNet_V3_Small_Weights", "mobilenet_v3_small-047dcff4.pth")
EfficientNet_B0_Weights = _v1("efficientnet_b0", "EfficientNet_B0_Weights", "efficientnet_b0_rwightman-3dd342df.pth",
                              224, 256, "bicubic")
SqueezeNet1_0_Weights = _v1("squeezenet1_0", "SqueezeNet1_0_Weights", "squeezenet1_0-b66bff10.pth")
SqueezeNet1_1_Weights = _v1("squeezenet1_1", "SqueezeNet1_1_Weights", "squeezenet1_1-b8a52dc0.pth")
ConvNeXt_Tiny_Weights = _v1("convnext_tiny", "ConvNeXt_Tiny_Weights", "convnext_tiny-983f1562.pth", 224, 236)
Inception_V3_Weights = _v1("inception_v3", "Inception_V3_Weights", "inception_v3_google-0cc3c7bd.pth", 299, 342)
DenseNet121_Weights = _v1("densenet121", "DenseNet121_Weights", "densenet121-a639ec97.pth")

__all__ = [
    "AlexNet_Weights",
    "ConvNeXt_Tiny_Weights",
    "DenseNet121_Weights",
    "EfficientNet_B0_Weights",
    "Inception_V3_Weights",
    "MobileNet_V2_Weights",
    "MobileNet_V3_Large_Weights",
    "MobileNet_V3_Small_Weights",
    "ResNet18_Weights",
    "SqueezeNet1_0_Weights",
    "SqueezeNet1_1_Weights",
    "ResNet34_Weights",
    "ResNet50_Weights",
    "VGG11_BN_Weights",
    "VGG11_Weights",
    "VGG16_BN_Weights",
    "VGG16_Weights",
]
