# Run with `cmake -DREASON=... -P fail.cmake`: makes a registered test fail with REASON.
message(FATAL_ERROR "${REASON}")
