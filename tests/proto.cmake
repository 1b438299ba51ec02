# tests/proto.cmake -- tests of the Kafka wire contract (proto/codec).
certfleet_unit_test(unit_codec unit/test_codec.c certfleet_proto)
