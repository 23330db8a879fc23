"""Tests of mailproto.sasl."""
