pytest_plugins = ["cryptoerd.testing.pytest_plugin"]
