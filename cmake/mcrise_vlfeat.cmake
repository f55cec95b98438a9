# The optional component mcrise::vlfeat (quick shift superpixels, include/mcrise/vlfeat/): an
# INTERFACE target linking mcrise::mcrise and VLFeat's C library (Debian: libvlfeat-dev), created
# only when both the header vl/quickshift.h and the library are found. Included by the build and
# by the installed mcriseConfig.cmake, which finds VLFeat again on the consumer's machine.
find_path(MCRISE_VLFEAT_INCLUDE_DIR vl/quickshift.h)
find_library(MCRISE_VLFEAT_LIBRARY NAMES vl)
if(MCRISE_VLFEAT_INCLUDE_DIR AND MCRISE_VLFEAT_LIBRARY AND NOT TARGET mcrise::vlfeat)
  add_library(mcrise::vlfeat INTERFACE IMPORTED GLOBAL)
  set_target_properties(mcrise::vlfeat PROPERTIES
    INTERFACE_LINK_LIBRARIES "mcrise::mcrise;${MCRISE_VLFEAT_LIBRARY}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${MCRISE_VLFEAT_INCLUDE_DIR}")
endif()
