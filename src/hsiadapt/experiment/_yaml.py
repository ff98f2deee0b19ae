"""Reading a config's YAML strictly: what PyYAML lets pass silently is an error here.

* **Duplicate keys** in one mapping (``recipe_overrides: {lr: 0.001, lr: 100.0}``): PyYAML keeps
  the last value without a word; here it is an error naming the key, its line and the file.
  (A key that overrides one brought in by a ``<<:`` merge is not a duplicate: that is what a
  merge is for.)
* **Alias expansion is capped**: anchors and aliases (``&a`` / ``*a``) are fine, but a document
  whose aliases expand to more than :data:`MAX_EXPANDED_NODES` nodes (a "billion laughs" bomb
  of nested aliases) is refused before anything walks it, instead of eating the memory.
* **Encoding**: a config must be UTF-8 (a UTF-8 byte-order mark is allowed). A UTF-16 file, or
  one in another encoding, is an error that names the file and says to save it as UTF-8.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["MAX_EXPANDED_NODES", "YamlError", "load_yaml_file", "load_yaml_text"]

#: The most nodes a config may hold once every alias is expanded (a long real config has a few
#: thousand; the alias bomb of the issue has 10^9).
MAX_EXPANDED_NODES = 100_000


class YamlError(ValueError):
    """A YAML text cannot be read as a config (the message says where and what to do)."""


class _StrictLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses duplicate keys (see the module docstring)."""

    where = "<string>"

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the base class says so
                break
            line = key_node.start_mark.line + 1
            if first is not None:
                raise YamlError(
                    f"{self.where}: line {line}: duplicate key {key!r} (first given on line "
                    f"{first}); YAML would silently keep only the last value - keep one")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root: yaml.Node, where: str) -> int:
    """Nodes in ``root`` with every alias expanded, counted without expanding (memoised per
    node); stops with :class:`YamlError` past :data:`MAX_EXPANDED_NODES`."""
    memo: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) in memo:
            return memo[id(node)]
        memo[id(node)] = 1  # a recursive alias counts once (the base constructor handles it)
        n = 1
        if isinstance(node, yaml.SequenceNode):
            n += sum(size(c) for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            n += sum(size(k) + size(v) for k, v in node.value)
        if n > MAX_EXPANDED_NODES:
            raise YamlError(
                f"{where}: its anchors and aliases (&name / *name) expand to more than "
                f"{MAX_EXPANDED_NODES:,} values (an 'alias bomb'); a config needs nothing "
                "like that - write the values out, or use fewer nested aliases")
        memo[id(node)] = n
        return n

    return size(root)


def load_yaml_text(text: str, where: str = "<string>") -> Any:
    """``text`` parsed as one YAML document, strictly (module docstring).

    Raises:
        YamlError: a duplicate key or an alias bomb, naming ``where``.
        yaml.YAMLError: YAML syntax errors and unsafe tags (``!!python/object``...).
    """
    loader = _StrictLoader(text)
    loader.where = where
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, where)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml_file(path: str | Path) -> Any:
    """The YAML file at ``path``, read as UTF-8 and parsed strictly (module docstring).

    Raises:
        YamlError: not UTF-8, a duplicate key, an alias bomb (each names the file).
        yaml.YAMLError: YAML syntax errors and unsafe tags.
    """
    p = Path(path)
    data = p.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) > 1 and b"\x00" in data[:64]):
        raise YamlError(f"{p}: the file is UTF-16 (or another 2- or 4-byte encoding); save it "
                        "as UTF-8 (in most editors: 'Save with encoding' -> UTF-8)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise YamlError(f"{p}: line {line}: byte {data[err.start]:#04x} is not UTF-8; save the "
                        "file as UTF-8 (in most editors: 'Save with encoding' -> UTF-8)") from None
    return load_yaml_text(text, str(p))
