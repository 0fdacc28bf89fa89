# Runs courier-bench with ARGS and checks that it exits 0 and that every
# output line is a JSON object (string(JSON) fails on anything else).
execute_process(COMMAND ${BENCH} ${ARGS} RESULT_VARIABLE rc
  OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 200)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "courier-bench exited with ${rc}\n${out}\n${err}")
endif()
string(STRIP "${out}" out)
if(out STREQUAL "")
  message(FATAL_ERROR "no output\n${err}")
endif()
# ';' separates CMake list items: turn it into ',' (it only occurs inside
# JSON strings, so each line stays valid JSON) before splitting lines.
string(REPLACE ";" "," out "${out}")
string(REPLACE "\n" ";" lines "${out}")
foreach(line IN LISTS lines)
  string(JSON scenario ERROR_VARIABLE jerr GET "${line}" scenario)
  if(jerr)
    message(FATAL_ERROR "not a JSON object with a scenario: ${line}\n${jerr}")
  endif()
  message(STATUS "ok: ${scenario}")
endforeach()
