//! Preloader images: GFH file header, build project name, EMI/bloader info version.
