# edge.cmake -- integration test of deploy/edge: nginx + Lua in front of two certfleet-responders, certificates from Redis.
certfleet_integration_test(edge_up_serve_down
	env CERTFLEET_BIN=$<TARGET_FILE_DIR:certfleet-responder>
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_edge)
set_tests_properties(edge_up_serve_down PROPERTIES TIMEOUT 180)
