"""Helpers shared by the test suites: real servers on the loopback interface, never mocks."""
