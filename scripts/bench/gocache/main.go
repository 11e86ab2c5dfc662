// The book's chapter 13 cache ("spewg-cache") as the chapter builds it, the anchor that
// scripts/bench/cachenode.sh measures cachenode's HTTP side against in the same run: a map
// behind a read-write lock, LRU order in a doubly linked list with a capacity in items, a TTL
// checked on read plus a ticker that scans every key under the lock, and the HTTP API
// POST /set {"key","value"} and GET /get?key=K.  Standard library only.
package main

import (
	"container/list"
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"sync"
	"time"
)

type item struct {
	key     string
	value   string
	expires time.Time
}

type cache struct {
	mu       sync.RWMutex
	items    map[string]*list.Element
	order    *list.List // front: most recently used
	capacity int
}

func newCache(capacity int) *cache {
	return &cache{items: make(map[string]*list.Element), order: list.New(), capacity: capacity}
}

func (c *cache) set(key, value string, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		it := e.Value.(*item)
		it.value, it.expires = value, time.Now().Add(ttl)
		c.order.MoveToFront(e)
		return
	}
	if c.order.Len() >= c.capacity {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*item).key)
	}
	c.items[key] = c.order.PushFront(&item{key: key, value: value, expires: time.Now().Add(ttl)})
}

// get takes the write lock: a hit moves the entry to the front of the LRU list.
func (c *cache) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return "", false
	}
	it := e.Value.(*item)
	if time.Now().After(it.expires) {
		c.order.Remove(e)
		delete(c.items, key)
		return "", false
	}
	c.order.MoveToFront(e)
	return it.value, true
}

func (c *cache) expireEvery(interval time.Duration) {
	for range time.Tick(interval) {
		now := time.Now()
		c.mu.Lock()
		for key, e := range c.items {
			if now.After(e.Value.(*item).expires) {
				c.order.Remove(e)
				delete(c.items, key)
			}
		}
		c.mu.Unlock()
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	capacity := flag.Int("capacity", 10, "items kept")
	ttl := flag.Duration("ttl", time.Hour, "lifetime of a set item")
	flag.Parse()
	c := newCache(*capacity)
	go c.expireEvery(time.Second)

	http.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		var req struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.set(req.Key, req.Value, *ttl)
		w.WriteHeader(http.StatusOK)
	})
	http.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		value, ok := c.get(r.URL.Query().Get("key"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"value": value})
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
