package console

import "net/http"

// groupsRoutes registers the groups pages.
func (h *Handler) groupsRoutes(m *http.ServeMux) {}
