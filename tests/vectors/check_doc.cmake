# Compares the output of courier-vectors (VECTORS) with the block between
# the courier-vectors markers in docs/PROTOCOL.md (DOC).
execute_process(COMMAND ${VECTORS} OUTPUT_VARIABLE printed
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "courier-vectors failed (${status})")
endif()
file(READ ${DOC} doc)
set(begin_marker "<!-- courier-vectors output -->\n```text\n")
set(end_marker "```\n<!-- end of courier-vectors output -->")
string(FIND "${doc}" "${begin_marker}" begin)
string(FIND "${doc}" "${end_marker}" end)
if(begin EQUAL -1 OR end EQUAL -1 OR end LESS begin)
  message(FATAL_ERROR "${DOC} has no courier-vectors block")
endif()
string(LENGTH "${begin_marker}" skip)
math(EXPR begin "${begin} + ${skip}")
math(EXPR length "${end} - ${begin}")
string(SUBSTRING "${doc}" ${begin} ${length} documented)
if(NOT documented STREQUAL printed)
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/courier-vectors.out "${printed}")
  message(FATAL_ERROR "The test vectors in ${DOC} are not what "
    "courier-vectors prints (${CMAKE_CURRENT_BINARY_DIR}/courier-vectors.out); "
    "regenerate them with build/bin/courier-vectors.")
endif()
