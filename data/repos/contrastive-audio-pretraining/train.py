import argparse
import os
import torch
import wandb
import yaml
from tqdm import tqdm
from cap.data import Clips
from cap.loss import info_nce
from cap.model import Encoder


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    args = p.parse_args()
    cfg = yaml.safe_load(open(args.config))
    wandb.init(project="cap", name=cfg["name"], config=cfg)
    model = Encoder(**cfg["model"]).cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["train"]["lr"])
    data = torch.utils.data.DataLoader(Clips(cfg["data_root"] + "/unlabelled", cfg["train"]["mask_ratio"]),
                                       batch_size=cfg["train"]["batch_size"], shuffle=True, num_workers=8)
    out = os.path.join("runs", cfg["name"])
    os.makedirs(out, exist_ok=True)
    for epoch in range(cfg["train"]["epochs"]):
        for a, b in tqdm(data):
            loss = info_nce(model(a.cuda()), model(b.cuda()), cfg["train"]["temperature"])
            opt.zero_grad()
            loss.backward()
            opt.step()
            wandb.log({"loss": loss.item(), "epoch": epoch})
        torch.save(model.state_dict(), os.path.join(out, "last.pt"))


if __name__ == "__main__":
    main()
