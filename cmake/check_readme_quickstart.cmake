# Fails unless README contains PROGRAM's code (from its first #include on) and OUTPUT, each verbatim.
#   cmake -DREADME=<md> -DPROGRAM=<cpp> -DOUTPUT=<file> -P check_readme_quickstart.cmake
file(READ ${README} readme)
file(READ ${PROGRAM} program)
file(READ ${OUTPUT} output)
string(FIND "${program}" "#include" start)
string(SUBSTRING "${program}" ${start} -1 code)
foreach(part code output)
  string(FIND "${readme}" "${${part}}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${README} does not show the quick-start ${part} verbatim (${PROGRAM}, ${OUTPUT}):\n${${part}}")
  endif()
endforeach()
message(STATUS "the README shows the quick-start program and its output")
