"""torchvision's names for its published ImageNet weights (``ResNet18_Weights`` ...), so scripts that name them import.

ember cannot download them (see ``WeightsEnum``); the URLs say which file to fetch by hand.
"""

from ._weights import Weights, WeightsEnum, register_weights

_HUB = "https://download.pytorch.org/models/"


def _enum(arch: str, cls_name: str, files: dict[str, Weights], default: str):
    members = {name: w for name, w in files.items()}
    members["DEFAULT"] = files[default]  # an alias: the same value gives the same member
    return register_weights(arch, WeightsEnum(cls_name, members))


ResNet18_Weights = _enum("resnet18", "ResNet18_Weights", {"IMAGENET1K_V1": Weights(_HUB + "resnet18-f37072fd.pth")}, "IMAGENET1K_V1")
ResNet34_Weights = _enum("resnet34", "ResNet34_Weights", {"IMAGENET1K_V1": Weights(_HUB + "resnet34-b627a593.pth")}, "IMAGENET1K_V1")
ResNet50_Weights = _enum(
    "resnet50",
    "ResNet50_Weights",
    {"IMAGENET1K_V1": Weights(_HUB + "resnet50-0676ba61.pth"), "IMAGENET1K_V2": Weights(_HUB + "resnet50-11ad3fa6.pth", 224, 232)},
    "IMAGENET1K_V2",
)
VGG11_Weights = _enum("vgg11", "VGG11_Weights", {"IMAGENET1K_V1": Weights(_HUB + "vgg11-8a719046.pth")}, "IMAGENET1K_V1")
VGG11_BN_Weights = _enum("vgg11_bn", "VGG11_BN_Weights", {"IMAGENET1K_V1": Weights(_HUB + "vgg11_bn-6002323d.pth")}, "IMAGENET1K_V1")
VGG16_Weights = _enum("vgg16", "VGG16_Weights", {"IMAGENET1K_V1": Weights(_HUB + "vgg16-397923af.pth")}, "IMAGENET1K_V1")
VGG16_BN_Weights = _enum("vgg16_bn", "VGG16_BN_Weights", {"IMAGENET1K_V1": Weights(_HUB + "vgg16_bn-6c64b313.pth")}, "IMAGENET1K_V1")
AlexNet_Weights = _enum("alexnet", "AlexNet_Weights", {"IMAGENET1K_V1": Weights(_HUB + "alexnet-owt-7be5be79.pth")}, "IMAGENET1K_V1")
MobileNet_V2_Weights = _enum(
    "mobilenet_v2",
    "MobileNet_V2_Weights",
    {"IMAGENET1K_V1": Weights(_HUB + "mobilenet_v2-b0353104.pth"), "IMAGENET1K_V2": Weights(_HUB + "mobilenet_v2-7ebf99e0.pth", 224, 232)},
    "IMAGENET1K_V2",
)
MobileNet_V3_Large_Weights = _enum(
    "mobilenet_v3_large",
    "MobileNet_V3_Large_Weights",
    {
        "IMAGENET1K_V1": Weights(_HUB + "mobilenet_v3_large-8738ca79.pth"),
        "IMAGENET1K_V2": Weights(_HUB + "mobilenet_v3_large-5c1a4163.pth", 224, 232),
    },
    "IMAGENET1K_V2",
)
MobileNet_V3_Small_Weights = _enum(
    "mobilenet_v3_small",
    "MobileNet_V3_Small_Weights",
    {"IMAGENET1K_V1": Weights(_HUB + "mobilenet_v3_small-047dcff4.pth")},
    "IMAGENET1K_V1",
)
EfficientNet_B0_Weights = _enum(
    "efficientnet_b0",
    "EfficientNet_B0_Weights",
    {"IMAGENET1K_V1": Weights(_HUB + "efficientnet_b0_rwightman-3dd342df.pth", 224, 256, "bicubic")},
    "IMAGENET1K_V1",
)
SqueezeNet1_0_Weights = _enum(
    "squeezenet1_0", "SqueezeNet1_0_Weights", {"IMAGENET1K_V1": Weights(_HUB + "squeezenet1_0-b66bff10.pth")}, "IMAGENET1K_V1"
)
SqueezeNet1_1_Weights = _enum(
    "squeezenet1_1", "SqueezeNet1_1_Weights", {"IMAGENET1K_V1": Weights(_HUB + "squeezenet1_1-b8a52dc0.pth")}, "IMAGENET1K_V1"
)
ConvNeXt_Tiny_Weights = _enum(
    "convnext_tiny", "ConvNeXt_Tiny_Weights", {"IMAGENET1K_V1": Weights(_HUB + "convnext_tiny-983f1562.pth", 224, 236)}, "IMAGENET1K_V1"
)
Inception_V3_Weights = _enum(
    "inception_v3", "Inception_V3_Weights", {"IMAGENET1K_V1": Weights(_HUB + "inception_v3_google-0cc3c7bd.pth", 299, 342)}, "IMAGENET1K_V1"
)
DenseNet121_Weights = _enum(
    "densenet121", "DenseNet121_Weights", {"IMAGENET1K_V1": Weights(_HUB + "densenet121-a639ec97.pth")}, "IMAGENET1K_V1"
)

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
