from feeds.cli import app

app(prog_name="feeds")
