# Programs of examples/, paper/ and bench/: one line each registers the program and, when it has
# a reduced run for the test suite, its test, so the list of programs and the list of tests are
# the same list.
#
#   mcrise_program(<name> [COMPONENT <target>] [TEST [args...]] [EXPECT_OUTPUT <file>])
#
# builds <name>.cpp of the calling folder into the program <name> (the bundled sign model's headers
# under paper/ on its include path) and, with MCRISE_BUILD_TESTS, registers the test
# <prefix>_<name> (prefix: MCRISE_PROGRAM_TEST_PREFIX of the folder) that runs it with <args>.
# EXPECT_OUTPUT: the test also compares the program's standard output with <file>, byte for byte.
# COMPONENT: the program needs that optional component (e.g. mcrise::opencv_dnn): it is built and
# tested, linked to it, only where the component exists.
function(mcrise_program name)
  cmake_parse_arguments(arg "" "EXPECT_OUTPUT;COMPONENT" "TEST" ${ARGN})
  set_property(DIRECTORY APPEND PROPERTY MCRISE_PROGRAMS ${name})
  if(arg_COMPONENT AND NOT TARGET ${arg_COMPONENT})
    return()
  endif()
  add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/${name}.cpp)
  target_link_libraries(${name} PRIVATE mcrise::mcrise ${arg_COMPONENT})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/paper)
  target_compile_definitions(${name} PRIVATE MCRISE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  mcrise_setup_target(${name})
  if(NOT MCRISE_BUILD_TESTS OR NOT (DEFINED arg_TEST OR "TEST" IN_LIST arg_KEYWORDS_MISSING_VALUES))
    return()
  endif()
  set(test ${MCRISE_PROGRAM_TEST_PREFIX}_${name})
  if(arg_EXPECT_OUTPUT)
    add_test(NAME ${test} COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:${name}>
      "-DARGS=${arg_TEST}" -DEXPECTED=${CMAKE_CURRENT_SOURCE_DIR}/${arg_EXPECT_OUTPUT}
      -P ${PROJECT_SOURCE_DIR}/cmake/check_output.cmake)
  else()
    add_test(NAME ${test} COMMAND ${name} ${arg_TEST})
  endif()
  set_tests_properties(${test} PROPERTIES WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endfunction()

# Fails the configuration when a numbered program NN_name.cpp of the calling folder is not on its list.
function(mcrise_require_listed_programs)
  file(GLOB sources RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/[0-9][0-9]_*.cpp)
  get_property(listed DIRECTORY PROPERTY MCRISE_PROGRAMS)
  foreach(src IN LISTS sources)
    get_filename_component(name ${src} NAME_WE)
    if(NOT name IN_LIST listed)
      message(FATAL_ERROR "${CMAKE_CURRENT_SOURCE_DIR}/${src} is not listed: add mcrise_program(${name} ...) "
                          "to ${CMAKE_CURRENT_LIST_FILE}")
    endif()
  endforeach()
endfunction()
