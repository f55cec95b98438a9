# Runs PROGRAM with the ;-separated ARGS and fails unless it exits with 0 and its standard output is
# byte for byte the content of EXPECTED (the committed output a README or docs page shows).
#   cmake -DPROGRAM=<exe> [-DARGS=a;b] -DEXPECTED=<file> -P check_output.cmake
execute_process(COMMAND ${PROGRAM} ${ARGS} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} exited with ${rc}; output:\n${out}")
endif()
file(READ ${EXPECTED} expected)
if(NOT out STREQUAL expected)
  message(FATAL_ERROR "${PROGRAM}'s output differs from ${EXPECTED}.\n--- expected\n${expected}--- got\n${out}"
                      "If the change is intended, update ${EXPECTED} and the README lines that show it.")
endif()
message(STATUS "output equals ${EXPECTED}")
