"""The review protocol: the YAML file, read and checked whole into typed settings.

Search, file sources, screening criteria and pathway modules.
"""
