package console

import "net/http"

// simRoutes registers the simulator pages.
func (h *Handler) simRoutes(m *http.ServeMux) {}
