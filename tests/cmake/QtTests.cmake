# Registers a Qt Test executable as CTest test `<label>.<name>`.
#   switchboard_qt_test(name label [extra sources...] [LIBS libraries...])
# Tests link the server library unless LIBS names what they need instead.
function(switchboard_qt_test name label)
    cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
    if(NOT ARG_LIBS)
        set(ARG_LIBS switchboard_server)
    endif()
    add_executable(${name} ${name}.cpp ${ARG_UNPARSED_ARGUMENTS})
    target_link_libraries(${name} PRIVATE ${ARG_LIBS} Qt6::Test switchboard_warnings)
    add_test(NAME ${label}.${name} COMMAND ${name})
    set_tests_properties(${label}.${name} PROPERTIES
        LABELS ${label}
        TIMEOUT 180
        ENVIRONMENT QT_QPA_PLATFORM=offscreen)
endfunction()
