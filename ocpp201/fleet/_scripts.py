"""The Redis keys of a fleet and the Lua scripts that change them atomically.

Every key starts with the fleet's prefix ``P`` (``"ocpp201:"`` by default):

========================  ============================================================
``P:st:<identity>``       presence: ``"<node> <epoch>"`` of the connection that holds
                          the station; expires unless refreshed
``P:node:<node>``         the node is alive (JSON about it); expires unless refreshed
``P:node:<node>:st``      hash identity -> epoch of the stations the node holds
``P:nodes``               set of the node ids seen (dead ones are pruned on listing)
``P:epoch``               counter: each registration takes the next epoch
``P:cmd:<node>``          list: commands for the node (calls, releases); expires
                          when nobody pushes to it for a while (a dead node's)
``P:want:<request id>``   a call still wanted by its caller; expires at its deadline;
                          the owning node deletes it when it delivers the call
``P:reply:<client id>``   list: replies for one calling process
========================  ============================================================

The scripts touch keys they compute from the prefix, so a fleet needs a single
Redis server (a primary with replicas and Sentinel is fine), not Redis Cluster.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import attrs
from redis.asyncio.client import Pipeline

__all__ = [
    "CLAIM",
    "REFRESH",
    "REGISTER",
    "SCRIPTS",
    "SEND",
    "UNREGISTER",
    "Keys",
    "Script",
]


def queue_ttl_ms(presence_ttl_ms: int) -> int:
    """How long a node's command list lives after the last push."""
    return max(60_000, 6 * presence_ttl_ms)


@attrs.frozen
class Script:
    """A Lua script, run by its SHA1 (the batcher loads it when Redis lacks it)."""

    source: str
    sha: str = attrs.field(init=False)

    @sha.default
    def _sha(self) -> str:
        return hashlib.sha1(self.source.encode()).hexdigest()

    def queue(self, pipe: Pipeline, keys: Sequence[str], args: Sequence[Any]) -> int:
        """Add a run of the script to ``pipe`` (one command)."""
        pipe.evalsha(self.sha, len(keys), *keys, *args)
        return 1


@attrs.frozen
class Keys:
    """The key names of one fleet (one prefix)."""

    prefix: str

    def station(self, identity: str) -> str:
        return f"{self.prefix}st:{identity}"

    def node(self, node: str) -> str:
        return f"{self.prefix}node:{node}"

    def node_stations(self, node: str) -> str:
        return f"{self.prefix}node:{node}:st"

    @property
    def nodes(self) -> str:
        return f"{self.prefix}nodes"

    @property
    def epoch(self) -> str:
        return f"{self.prefix}epoch"

    def commands(self, node: str) -> str:
        return f"{self.prefix}cmd:{node}"

    def wanted(self, request_id: str) -> str:
        return f"{self.prefix}want:{request_id}"

    def replies(self, client: str) -> str:
        return f"{self.prefix}reply:{client}"


# KEYS: presence, the node's station hash, the epoch counter.
# ARGV: prefix, node, identity, ttl ms, only_if_absent ("1"/"0"), release message
#       JSON, command queue ttl ms.
# Returns {epoch, previous value or false}; epoch 0 when only_if_absent and taken.
# A previous owner on another node gets a release command ("<epoch>\n<json>").
REGISTER = Script("""
local old = redis.call('GET', KEYS[1])
if ARGV[5] == '1' and old then
  return {0, old}
end
local epoch = redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. epoch, 'PX', ARGV[4])
redis.call('HSET', KEYS[2], ARGV[3], epoch)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if old then
  local sp = string.find(old, ' ', 1, true)
  if sp then
    local node = string.sub(old, 1, sp - 1)
    if node ~= ARGV[2] then
      redis.call('HDEL', ARGV[1] .. 'node:' .. node .. ':st', ARGV[3])
      local queue = ARGV[1] .. 'cmd:' .. node
      redis.call('RPUSH', queue, string.sub(old, sp + 1) .. '\\n' .. ARGV[6])
      redis.call('PEXPIRE', queue, ARGV[7])
    end
  end
end
return {epoch, old or false}
""")

# KEYS: presence, the node's station hash.  ARGV: "<node> <epoch>", identity.
UNREGISTER = Script("""
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
local sp = string.find(ARGV[1], ' ', 1, true)
if redis.call('HGET', KEYS[2], ARGV[2]) == string.sub(ARGV[1], sp + 1) then
  redis.call('HDEL', KEYS[2], ARGV[2])
end
return 1
""")

# KEYS: the node key, the node's station hash, the node set.
# ARGV: prefix, node, ttl ms, node info, then identity, epoch pairs.
# Returns one status per pair: 0 refreshed, 1 missing, 2 held by another connection.
REFRESH = Script("""
local ttl = ARGV[3]
redis.call('SET', KEYS[1], ARGV[4], 'PX', ttl)
redis.call('SADD', KEYS[3], ARGV[2])
local out = {}
for i = 5, #ARGV, 2 do
  local key = ARGV[1] .. 'st:' .. ARGV[i]
  local value = redis.call('GET', key)
  if value == ARGV[2] .. ' ' .. ARGV[i + 1] then
    redis.call('PEXPIRE', key, ttl)
    out[#out + 1] = 0
  elseif value then
    out[#out + 1] = 2
  else
    out[#out + 1] = 1
  end
end
redis.call('PEXPIRE', KEYS[2], ttl)
return out
""")

# KEYS: presence, the request's "wanted" marker.
# ARGV: prefix, deadline ms (marker ttl), command JSON, queue limit, queue ttl ms.
# Returns {0} offline, {1, node} node gone, {2, node, epoch} queued, {3, node} busy.
SEND = Script("""
local value = redis.call('GET', KEYS[1])
if not value then
  return {0}
end
local sp = string.find(value, ' ', 1, true)
local node = string.sub(value, 1, sp - 1)
local epoch = string.sub(value, sp + 1)
if redis.call('EXISTS', ARGV[1] .. 'node:' .. node) == 0 then
  return {1, node}
end
local queue = ARGV[1] .. 'cmd:' .. node
if redis.call('LLEN', queue) >= tonumber(ARGV[4]) then
  return {3, node}
end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
redis.call('RPUSH', queue, epoch .. '\\n' .. ARGV[3])
redis.call('PEXPIRE', queue, ARGV[5])
return {2, node, epoch}
""")

# KEYS: the "wanted" marker, presence.  ARGV: "<node> <epoch>".
# Returns the milliseconds left to the caller's deadline (the marker is deleted:
# the call is now delivered, once), -1 when the caller gave up, -2 when the station
# moved to another connection meanwhile (the marker stays: the caller re-routes).
CLAIM = Script("""
local left = redis.call('PTTL', KEYS[1])
if left <= 0 then
  return -1
end
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return -2
end
redis.call('DEL', KEYS[1])
return left
""")


SCRIPTS = (REGISTER, UNREGISTER, REFRESH, SEND, CLAIM)
