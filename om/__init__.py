"""FITS Operations Management: one app per function (om.patches, om.security, om.sysadmin, and later
om.storage, om.directory, om.printing), on this shared base: each function's policy and the allocation of its
activities to staff (FITS-OM 7: the network manager plans and allocates, staff carry them out)."""
