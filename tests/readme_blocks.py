"""Regenerates (--write) or checks the README blocks that come from the binary's own tables.

    python3 tests/readme_blocks.py --write README.md build/prisma-entrypoint
"""
import re
import subprocess
import sys

TOPICS = ("settings", "exit-codes")


def generated(binary, topic):
    return subprocess.run([binary, "help", "--markdown", topic], check=True, capture_output=True, text=True).stdout


def block_pattern(topic):
    return re.compile(r"(<!-- %s:begin[^>]*-->\n)(.*?)(<!-- %s:end -->)" % (topic, topic), re.S)


def main(argv):
    mode, readme, binary = argv[1:4]
    text = original = open(readme, encoding="utf-8").read()
    for topic in TOPICS:
        pattern = block_pattern(topic)
        if not pattern.search(text):
            sys.exit("readme_blocks: no %s block in %s" % (topic, readme))
        body = generated(binary, topic)
        text = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(3), text)
    if mode == "--write":
        if text != original:
            open(readme, "w", encoding="utf-8").write(text)
    elif text != original:
        sys.exit("readme_blocks: %s is out of date: run 'make readme'" % readme)


if __name__ == "__main__":
    main(sys.argv)
