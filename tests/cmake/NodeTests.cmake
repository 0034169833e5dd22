# Registers a Node.js test file (run with `node --test`) against the built switchboard-node.
# Without Node.js the test is still registered and fails saying what to install: a missing
# prerequisite never turns into a skipped test.
find_program(NODE_EXECUTABLE NAMES node nodejs DOC "Node.js runtime for the interop and browser tests")

# node --test gives the whole file this long; a folder may set SWITCHBOARD_NODE_TEST_TIMEOUT_MS
# for files that start browsers and several processes.
function(switchboard_node_test name file label)
    if(NOT SWITCHBOARD_NODE_TEST_TIMEOUT_MS)
        set(SWITCHBOARD_NODE_TEST_TIMEOUT_MS 30000)
    endif()
    if(NODE_EXECUTABLE)
        add_test(NAME ${name}
                 COMMAND "${NODE_EXECUTABLE}" --test --test-reporter=spec
                         --test-timeout=${SWITCHBOARD_NODE_TEST_TIMEOUT_MS} ${file}
                 WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
    else()
        add_test(NAME ${name}
                 COMMAND "${CMAKE_COMMAND}"
                         "-DREASON=${name}: Node.js (node) not found; install Node.js 20+ and run `npm ci` in ${CMAKE_CURRENT_SOURCE_DIR}, then re-run cmake"
                         -P "${PROJECT_SOURCE_DIR}/tests/cmake/fail.cmake")
    endif()
    set_tests_properties(${name} PROPERTIES
        ENVIRONMENT "SWITCHBOARD_NODE=$<TARGET_FILE:switchboard-node>"
        LABELS ${label}
        TIMEOUT 180)
endfunction()
