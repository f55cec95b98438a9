# Runs COMMAND (a list) with a TIMEOUT in seconds and passes if it ends on its own, with a non-zero
# status, and its output matches the regular expression EXPECT: a job that must fail, not hang.
execute_process(COMMAND ${COMMAND} TIMEOUT ${TIMEOUT} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(status MATCHES "timeout")
  message(FATAL_ERROR "hung: still running after ${TIMEOUT} s\n${out}")
endif()
if(status EQUAL 0)
  message(FATAL_ERROR "expected a failure, got exit status 0\n${out}")
endif()
if(NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "exit status ${status}, but the output does not match '${EXPECT}':\n${out}")
endif()
message(STATUS "ended with status ${status} as expected")
