#pragma once
/// @file mcrise.hpp
/// @brief Umbrella header: everything in mcrise. Each part can also be included on its own.

#include <mcrise/accumulator.hpp>
#include <mcrise/auc.hpp>
#include <mcrise/ca_deletion.hpp>
#include <mcrise/callbacks.hpp>
#include <mcrise/classifier.hpp>
#include <mcrise/colormap.hpp>
#include <mcrise/colors.hpp>
#include <mcrise/deletion.hpp>
#include <mcrise/fill.hpp>
#include <mcrise/image.hpp>
#include <mcrise/io.hpp>
#include <mcrise/io_error.hpp>
#include <mcrise/lime.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/mc_rise.hpp>
#include <mcrise/npy.hpp>
#include <mcrise/perturb.hpp>
#include <mcrise/picture.hpp>
#include <mcrise/render.hpp>
#include <mcrise/resize.hpp>
#include <mcrise/result.hpp>
#include <mcrise/rise.hpp>
#include <mcrise/segments.hpp>
