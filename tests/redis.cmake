# redis.cmake -- Redis access: the redis:// / rediss:// URL parser (unit), TLS and ACL users per role, the edge's change subscription (integration).
certfleet_unit_test(unit_redisurl unit/test_redisurl.c certfleet_redisconn)

# redisconn_open against the stack's Redis: each role's ACL user, credentials
# that need percent-encoding, rediss:// on the TLS port (CA, client
# certificates, refusals, the relay thread's end).
add_executable(test_redisconn integration/test_redisconn.c)
target_link_libraries(test_redisconn PRIVATE certfleet_redisconn PkgConfig::CMOCKA)
certfleet_integration_test(redis_conn_acl_tls $<TARGET_FILE:test_redisconn>)
set_tests_properties(redis_conn_acl_tls PROPERTIES TIMEOUT 120)

# The stack's ACL users: what each role may and may not do.
certfleet_integration_test(redis_acl_roles ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_redis_acl)
set_tests_properties(redis_acl_roles PROPERTIES TIMEOUT 60)

# The bundled edge learns of changes at once: 50 renewals measured (PUBLISH
# to the handshake serving the new serial, figures printed), a wildcard, a
# withdrawal, a cut subscription, and the TTL fallback without one.
certfleet_integration_test(edge_notify
	env CERTFLEET_BIN=$<TARGET_FILE_DIR:certfleet-responder>
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_edge_notify)
set_tests_properties(edge_notify PROPERTIES TIMEOUT 300)
