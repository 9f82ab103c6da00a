"""The container lab (issue 9): KWDB in docker on this machine, started the vendor's way (see README.md)."""
