package pgsink

// SetShipChunk sets how many spooled entries one shipping transaction
// takes.
func (s *Sink) SetShipChunk(n int) { s.shipChunk.Store(int64(n)) }

// SetShipHook sets the hook run after each committed shipping
// transaction; an error it returns aborts shipping as a crash would.
func (s *Sink) SetShipHook(f func() error) { s.afterShip.Store(&f) }

// BreakSpool closes the spool's file under the sink, so that writing it
// fails, as on a failing disk.
func (s *Sink) BreakSpool() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spool.f.Close()
}
