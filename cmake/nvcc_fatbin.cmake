# Runs nvcc for the fatbin (cmake -P): keeps the ptxas report (registers, spills) in REPORT,
# prints everything and fails when nvcc fails.
execute_process(
  COMMAND "${NVCC}" -fatbin ${FLAGS} -O3 -Xptxas -v -o "${OUTPUT}" "${SOURCE}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
file(WRITE "${REPORT}" "${out}")
if(NOT rc EQUAL 0)
  file(REMOVE "${OUTPUT}")
  message("${out}")
  message(FATAL_ERROR "nvcc failed (exit ${rc}) compiling cuda/*.cu; full output in ${REPORT}")
endif()
string(REGEX MATCHALL "[0-9]+ bytes spill stores" spills "${out}")
string(REGEX MATCHALL "[1-9][0-9]* bytes spill stores" nonzero "${out}")
list(LENGTH nonzero n_spilling)
message(STATUS "lgsr: fatbin built; ptxas report in ${REPORT} (${n_spilling} kernel builds with spills)")
