package restore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/internal/model"
)

const (
	// pauseTTL is how long one CLIENT PAUSE lasts. A pause is renewed
	// every pauseRenew while the restore needs it, so that it outlives any
	// save or stop however long, yet ends by itself within pauseTTL when
	// redisplan dies: clients are never left waiting on a server nobody
	// will stop.
	pauseTTL   = 10 * time.Second
	pauseRenew = time.Second
	// pauseMargin is how much of a pause must be left before the server
	// is told to stop: the stop must reach it while writes are held.
	pauseMargin = 3 * time.Second

	// holdToWrite is what the config file says for the start of the
	// restored server (with heldSettings): it refuses every write from the
	// first moment it accepts connections until redisplan puts the
	// server's own values back once the restored data is checked.
	holdToWrite = model.RestoreHoldValue
)

// heldSettings are the settings that make a started server refuse writes
// (live.HeldSettings, which a restart also uses).
var heldSettings = live.HeldSettings

// writePause holds CLIENT PAUSE <pauseTTL> WRITE on a server and renews it
// until end is called. Under it the server serves reads and blocks every
// command that could change data (writes, scripts, EXEC of writes) until
// the pause ends; a client blocked when the server stops gets its
// connection closed, never an acknowledgement. SAVE, BGSAVE, INFO, CONFIG
// and SHUTDOWN are not blocked.
type writePause struct {
	c    *redis.Client
	name string // the name CLIENT has on the server

	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	until   time.Time // the pause holds at least until then
	lapsed  bool      // a renewal came after the pause had ended
	lastErr error     // the last renewal that failed
}

// pauseWrites pauses writes on the server and keeps them paused until
// end. It fails, with writes not paused, when the server cannot pause
// writes (Redis before 6.2, CLIENT disabled or not allowed to the user).
func pauseWrites(ctx context.Context, conn model.Connection, clientCmd string) (*writePause, error) {
	if clientCmd == "" {
		return nil, fmt.Errorf(`CLIENT is renamed to "" on %s: redisplan cannot pause writes`, conn.Address)
	}
	c, err := live.Dial(conn)
	if err != nil {
		return nil, err
	}
	w := &writePause{c: c, name: clientCmd, stop: make(chan struct{}), done: make(chan struct{})}
	if err := w.extend(ctx, pauseTTL); err != nil {
		c.Close()
		if msg := replyText(err); msg != "" && (strings.Contains(strings.ToLower(msg), "syntax") || strings.Contains(msg, "Unknown subcommand") ||
			strings.Contains(msg, "wrong number")) {
			return nil, fmt.Errorf("the server at %s cannot pause writes only (CLIENT PAUSE ... WRITE needs Redis 6.2 or later): %s; "+
				"upgrade the server, or stop every client that writes and restore into the stopped clients' server", conn.Address, msg)
		}
		return nil, fmt.Errorf("pause writes on %s (CLIENT PAUSE WRITE): %w", conn.Address, err)
	}
	go w.renew(ctx)
	return w, nil
}

// extend sends one CLIENT PAUSE for ttl. The pause then holds at least
// until the time it was sent plus ttl: the server counts from when it
// reads the command, which is later. A pause is only ever lengthened: the
// server keeps the later of two ends.
func (w *writePause) extend(ctx context.Context, ttl time.Duration) error {
	sent := time.Now()
	cctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	err := w.c.Do(cctx, w.name, "PAUSE", strconv.FormatInt(ttl.Milliseconds(), 10), "WRITE").Err()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.lastErr = err
		return err
	}
	if !w.until.IsZero() && sent.After(w.until) {
		w.lapsed = true
	}
	if end := sent.Add(ttl); end.After(w.until) {
		w.until = end
	}
	return nil
}

// renew extends the pause every pauseRenew until end is called. A failed
// renewal is not fatal by itself: held says whether the pause lasted.
func (w *writePause) renew(ctx context.Context) {
	defer close(w.done)
	t := time.NewTicker(pauseRenew)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			_ = w.extend(ctx, pauseTTL)
		}
	}
}

// held returns nil when writes have been paused without a gap since
// pauseWrites and stay paused for at least pauseMargin more.
func (w *writePause) held() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	left := time.Until(w.until)
	if !w.lapsed && left >= pauseMargin {
		return nil
	}
	msg := "the pause of writes lapsed"
	if !w.lapsed {
		msg = fmt.Sprintf("the pause of writes ends in %s and could not be renewed", left.Round(time.Millisecond))
	}
	if w.lastErr != nil {
		msg += fmt.Sprintf(" (last renewal: %v)", w.lastErr)
	}
	return errors.New(msg + ": writes acknowledged from then on would be in neither the safety copy nor the restored data")
}

// end stops renewing the pause. With unpause it also lifts the pause
// (CLIENT UNPAUSE), for a server that keeps running; an error then means
// writes stay paused until the pause runs out, within pauseTTL.
func (w *writePause) end(ctx context.Context, unpause bool) error {
	if w == nil {
		return nil
	}
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
	defer w.c.Close()
	if !unpause {
		return nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	defer cancel()
	if err := w.c.Do(cctx, w.name, "UNPAUSE").Err(); err != nil {
		return fmt.Errorf("CLIENT UNPAUSE: %w; writes resume by themselves within %s", err, pauseTTL)
	}
	return nil
}
