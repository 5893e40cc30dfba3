"""Monev KIP."""

from reportlab import rl_config

# Every PDF the service writes (receipts, certificates, minutes) uses binary compressed streams
# rather than ASCII85: every reader takes them, files are a fifth smaller and reportlab's
# pure-Python ASCII85 encoder was the slowest step of a certificate batch. Set here, once, so no
# output depends on which module happened to be imported first.
rl_config.useA85 = 0
