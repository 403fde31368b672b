"""The HTTP service: thin routes over the kernel, one router per concern."""
