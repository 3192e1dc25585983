"""A command that needs an extra that is not installed says which one, in a line."""

import subprocess
import sys
import textwrap


def test_missing_training_stack_names_the_extra():
    script = textwrap.dedent(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] == "torch":
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        sys.meta_path.insert(0, Block())
        from pixsmote.cli import main
        sys.exit(main(["demo", "--out", sys.argv[1]]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "/nonexistent/pixsmote-demo-out"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "pip install 'pixsmote[train]'" in done.stderr
