# Registers a Qt Test executable as CTest test `<label>.<name>`; extra arguments are sources
# beside `<name>.cpp`.
function(switchboard_qt_test name label)
    add_executable(${name} ${name}.cpp ${ARGN})
    target_link_libraries(${name} PRIVATE switchboard_server Qt6::Test switchboard_warnings)
    add_test(NAME ${label}.${name} COMMAND ${name})
    set_tests_properties(${label}.${name} PROPERTIES
        LABELS ${label}
        TIMEOUT 180
        ENVIRONMENT QT_QPA_PLATFORM=offscreen)
endfunction()
