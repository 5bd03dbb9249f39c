"""Staff command line: python -m bot …"""
