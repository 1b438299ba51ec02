# responder.cmake -- tests of certfleet-responder: path routing (unit), two live responders (integration), fuzzing.
foreach(name token cache)
	certfleet_unit_test(unit_responder_${name} unit/test_responder_${name}.c
		certfleet_responder)
endforeach()

# Two responders on base+10/+11 against the stack's Redis, one against a
# dead Redis on base+18 (nothing listens there): status codes, bodies, 503s.
certfleet_integration_test(responder_http
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_responder.sh
	$<TARGET_FILE:certfleet-responder>)
set_tests_properties(responder_http PROPERTIES TIMEOUT 180)

# libFuzzer needs clang: the target and its 20 s run exist only there.
# New inputs go to a directory in the build tree; the seed corpus is read only.
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
	add_executable(fuzz_responder_path fuzz/fuzz_responder_path.c)
	target_compile_options(fuzz_responder_path PRIVATE -fsanitize=fuzzer)
	target_link_options(fuzz_responder_path PRIVATE -fsanitize=fuzzer)
	target_link_libraries(fuzz_responder_path PRIVATE certfleet_responder
		certfleet_base)
	set(fuzz_work ${CMAKE_CURRENT_BINARY_DIR}/fuzz_responder_path.corpus)
	file(MAKE_DIRECTORY ${fuzz_work})
	add_test(NAME fuzz_responder_path COMMAND fuzz_responder_path
		-max_total_time=${CERTFLEET_FUZZ_SECONDS} -max_len=2048 ${fuzz_work}
		${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/fuzz_responder_path)
	set_tests_properties(fuzz_responder_path PROPERTIES LABELS fuzz TIMEOUT 120)
endif()
