/** Roles that work tickets; the data owner and the data bureau work sharing requests only. */
export const ticketRoles = ['agent', 'handler', 'supervisor', 'admin'];
/** Roles that see the classifier's versions and the dictionary (hotline.intel.model.read). */
export const intelRoles = ['supervisor', 'data_admin', 'admin'];
