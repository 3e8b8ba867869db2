"""Requisitions: stock a location asks for, approved by a coordinator, carried by a transfer."""
