# redis.cmake -- Redis access: the redis:// / rediss:// URL parser (unit), TLS and ACL users per role, the edge's change subscription (integration).
certfleet_unit_test(unit_redisurl unit/test_redisurl.c certfleet_redisconn)
