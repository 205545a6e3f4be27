# Read by nbconvert when mkdocs-jupyter executes the notebooks: the hook puts this folder first
# on JUPYTER_CONFIG_PATH. The kernel gets CurveZMQ keys from the kernel manager (ipykernel's
# kernelspec declares support), so it does not warn, once per notebook, that it talks over TCP
# in plain text.
c = get_config()  # noqa: F821
c.KernelManager.transport_encryption = "auto"
