from itertools import count
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

app = FastAPI()
templates = Jinja2Templates(directory="templates")
ids = count(1)
items: dict[int, dict] = {}


@app.get("/", response_class=HTMLResponse)
def index(request: Request):
    return templates.TemplateResponse("index.html", {"request": request, "items": items.values()})


@app.post("/items", response_class=HTMLResponse)
def add(request: Request, text: str = Form(...)):
    i = next(ids)
    items[i] = {"id": i, "text": text, "done": False}
    return templates.TemplateResponse("_item.html", {"request": request, "item": items[i]})


@app.post("/items/{i}/toggle", response_class=HTMLResponse)
def toggle(request: Request, i: int):
    items[i]["done"] = not items[i]["done"]
    return templates.TemplateResponse("_item.html", {"request": request, "item": items[i]})


@app.delete("/items/{i}", response_class=HTMLResponse)
def delete(i: int):
    items.pop(i, None)
    return ""
