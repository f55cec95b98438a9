# mcrise's optional components, each an INTERFACE target created only when its runtime is found:
#   mcrise::opencv_dnn  include/mcrise/opencv/   OpenCV's DNN module  (Debian: libopencv-dnn-dev)
#   mcrise::libtorch    include/mcrise/libtorch/ LibTorch             (Debian: libtorch-dev)
#   mcrise::vlfeat      include/mcrise/vlfeat/   VLFeat's quick shift (Debian: libvlfeat-dev)
#   mcrise::mpi         include/mcrise/mpi/      MPI, one explanation over ranks (Debian: libopenmpi-dev)
# The same file runs in mcrise's own build and in the installed mcriseConfig.cmake, so a consumer's
# find_package(mcrise) finds the runtimes again; the targets are not exported. The core target
# mcrise::mcrise never links them.
#
# In: MCRISE_COMPONENT_SCOPE ("GLOBAL" in mcrise's build, so add_subdirectory users see the targets),
#     MCRISE_WITH_OPENCV_DNN / MCRISE_WITH_LIBTORCH / MCRISE_WITH_VLFEAT / MCRISE_WITH_MPI (default ON: look for the runtime).
# Out: mcrise_opencv_dnn_FOUND, mcrise_libtorch_FOUND, mcrise_vlfeat_FOUND, mcrise_mpi_FOUND (TRUE/FALSE, for check_required_components).

# The one list of the components, read by this file, mcrise's tests and its docs checks: for each,
# the folder of its headers under include/mcrise/, its public headers, the header of its runtime that
# they look for (their #error fires without it), and the Debian package that has it.
set(MCRISE_COMPONENTS opencv_dnn libtorch vlfeat mpi)
set(MCRISE_COMPONENT_FOLDER_opencv_dnn opencv)
set(MCRISE_COMPONENT_HEADERS_opencv_dnn mcrise/opencv/dnn_classifier.hpp)
set(MCRISE_COMPONENT_RUNTIME_HEADER_opencv_dnn opencv2/dnn.hpp)
set(MCRISE_COMPONENT_PACKAGE_opencv_dnn libopencv-dnn-dev)
set(MCRISE_COMPONENT_FOLDER_libtorch libtorch)
set(MCRISE_COMPONENT_HEADERS_libtorch mcrise/libtorch/torchscript_classifier.hpp)
set(MCRISE_COMPONENT_RUNTIME_HEADER_libtorch torch/cuda.h)  # Debian puts torch/script.h on the default path, not this
set(MCRISE_COMPONENT_PACKAGE_libtorch libtorch-dev)
set(MCRISE_COMPONENT_FOLDER_vlfeat vlfeat)
set(MCRISE_COMPONENT_HEADERS_vlfeat mcrise/vlfeat/quickshift.hpp)
set(MCRISE_COMPONENT_RUNTIME_HEADER_vlfeat vl/quickshift.h)
set(MCRISE_COMPONENT_PACKAGE_vlfeat libvlfeat-dev)
set(MCRISE_COMPONENT_FOLDER_mpi mpi)
set(MCRISE_COMPONENT_HEADERS_mpi mcrise/mpi/explain.hpp mcrise/mpi/split_rows.hpp mcrise/mpi/agreement.hpp)
set(MCRISE_COMPONENT_RUNTIME_HEADER_mpi mpi.h)
set(MCRISE_COMPONENT_PACKAGE_mpi libopenmpi-dev)

foreach(_mcrise_component IN LISTS MCRISE_COMPONENTS)
  string(TOUPPER ${_mcrise_component} _mcrise_switch)
  if(NOT DEFINED MCRISE_WITH_${_mcrise_switch})
    set(MCRISE_WITH_${_mcrise_switch} ON)
  endif()
endforeach()

# In mcrise's own build the component targets are GLOBAL, so a project that adds mcrise with
# add_subdirectory sees them; the runtime's imported targets they link must then be GLOBAL too
# (CMake >= 3.21 lists them; older CMake: use find_package(mcrise) after installing).
macro(_mcrise_runtime_targets_before)
  set(_mcrise_before "")
  if(MCRISE_COMPONENT_SCOPE STREQUAL "GLOBAL" AND NOT CMAKE_VERSION VERSION_LESS 3.21)
    get_property(_mcrise_before DIRECTORY PROPERTY IMPORTED_TARGETS)
  endif()
endmacro()
macro(_mcrise_runtime_targets_global)
  if(MCRISE_COMPONENT_SCOPE STREQUAL "GLOBAL" AND NOT CMAKE_VERSION VERSION_LESS 3.21)
    get_property(_mcrise_after DIRECTORY PROPERTY IMPORTED_TARGETS)
    foreach(_mcrise_target IN LISTS _mcrise_after)
      if(NOT _mcrise_target IN_LIST _mcrise_before)
        set_property(TARGET ${_mcrise_target} PROPERTY IMPORTED_GLOBAL TRUE)
      endif()
    endforeach()
  endif()
endmacro()

set(mcrise_opencv_dnn_FOUND FALSE)
if(TARGET mcrise::opencv_dnn)
  set(mcrise_opencv_dnn_FOUND TRUE)
elseif(MCRISE_WITH_OPENCV_DNN)
  _mcrise_runtime_targets_before()
  find_package(OpenCV QUIET COMPONENTS core dnn)
  _mcrise_runtime_targets_global()
  if(OpenCV_FOUND)
    add_library(mcrise::opencv_dnn INTERFACE IMPORTED ${MCRISE_COMPONENT_SCOPE})
    target_link_libraries(mcrise::opencv_dnn INTERFACE mcrise::mcrise opencv_core opencv_dnn)
    set(mcrise_opencv_dnn_FOUND TRUE)
  else()
    # Debian's libopencv-dnn-dev installs no OpenCVConfig.cmake (only the libopencv-dev
    # metapackage, with every other module, does): find the header and the two libraries.
    find_path(MCRISE_OPENCV_INCLUDE_DIR opencv2/dnn.hpp PATH_SUFFIXES opencv4)
    find_library(MCRISE_OPENCV_DNN_LIBRARY opencv_dnn)
    find_library(MCRISE_OPENCV_CORE_LIBRARY opencv_core)
    if(MCRISE_OPENCV_INCLUDE_DIR AND MCRISE_OPENCV_DNN_LIBRARY AND MCRISE_OPENCV_CORE_LIBRARY)
      add_library(mcrise::opencv_dnn INTERFACE IMPORTED ${MCRISE_COMPONENT_SCOPE})
      set_target_properties(mcrise::opencv_dnn PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${MCRISE_OPENCV_INCLUDE_DIR}")
      target_link_libraries(mcrise::opencv_dnn INTERFACE mcrise::mcrise ${MCRISE_OPENCV_DNN_LIBRARY} ${MCRISE_OPENCV_CORE_LIBRARY})
      set(mcrise_opencv_dnn_FOUND TRUE)
    endif()
  endif()
endif()

set(mcrise_libtorch_FOUND FALSE)
if(TARGET mcrise::libtorch)
  set(mcrise_libtorch_FOUND TRUE)
elseif(MCRISE_WITH_LIBTORCH)
  _mcrise_runtime_targets_before()
  find_package(Torch QUIET)
  _mcrise_runtime_targets_global()
  if(Torch_FOUND OR TORCH_FOUND)
    add_library(mcrise::libtorch INTERFACE IMPORTED ${MCRISE_COMPONENT_SCOPE})
    target_link_libraries(mcrise::libtorch INTERFACE mcrise::mcrise ${TORCH_LIBRARIES})
    set(mcrise_libtorch_FOUND TRUE)
  endif()
endif()

# VLFeat's C library: the header vl/quickshift.h and libvl (Debian installs no CMake config).
set(mcrise_vlfeat_FOUND FALSE)
if(TARGET mcrise::vlfeat)
  set(mcrise_vlfeat_FOUND TRUE)
elseif(MCRISE_WITH_VLFEAT)
  find_path(MCRISE_VLFEAT_INCLUDE_DIR vl/quickshift.h)
  find_library(MCRISE_VLFEAT_LIBRARY NAMES vl)
  if(MCRISE_VLFEAT_INCLUDE_DIR AND MCRISE_VLFEAT_LIBRARY)
    add_library(mcrise::vlfeat INTERFACE IMPORTED ${MCRISE_COMPONENT_SCOPE})
    set_target_properties(mcrise::vlfeat PROPERTIES
      INTERFACE_LINK_LIBRARIES "mcrise::mcrise;${MCRISE_VLFEAT_LIBRARY}"
      INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${MCRISE_VLFEAT_INCLUDE_DIR}")
    set(mcrise_vlfeat_FOUND TRUE)
  endif()
endif()

# MPI's C++ bindings of the C API (FindMPI reads the mpicxx wrapper's flags).
set(mcrise_mpi_FOUND FALSE)
if(TARGET mcrise::mpi)
  set(mcrise_mpi_FOUND TRUE)
elseif(MCRISE_WITH_MPI)
  _mcrise_runtime_targets_before()
  find_package(MPI QUIET COMPONENTS CXX)
  _mcrise_runtime_targets_global()
  if(MPI_CXX_FOUND)
    add_library(mcrise::mpi INTERFACE IMPORTED ${MCRISE_COMPONENT_SCOPE})
    target_link_libraries(mcrise::mpi INTERFACE mcrise::mcrise MPI::MPI_CXX)
    set(mcrise_mpi_FOUND TRUE)
  endif()
endif()
