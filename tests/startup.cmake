# startup.cmake -- starting order: daemons started before PostgreSQL and Redis wait for them, and outlive a lost PostgreSQL.
certfleet_integration_test(startup_order
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_startup $<TARGET_FILE_DIR:certfleet-worker>)
# it stops the stack's PostgreSQL and Redis: tests that share only the
# stack's services (certfleet_integration_test_own) must not run beside it
set_tests_properties(startup_order PROPERTIES RUN_SERIAL TRUE)
